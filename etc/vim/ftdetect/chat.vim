" clusterd chat scripts (docs/chat-language.md).
" Install: share/vim/vimfiles/ftdetect/chat.vim
autocmd BufNewFile,BufRead *.chat setfiletype chat
