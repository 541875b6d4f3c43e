" Vim filetype plugin
" Language:    clusterd chat scripts (*.chat)
" Install:     share/vim/vimfiles/ftplugin/chat.vim
"
" :make checks the current script with `chatc check --format=gcc` and fills the
" quickfix list from its FILE:LINE:COL: error|warning: MESSAGE lines. chatc is
" taken from $PATH; set g:chat_chatc (e.g. in vimrc) to use another one:
"     let g:chat_chatc = '/opt/clusterd/bin/chatc'
" Extra arguments go through :make, e.g. `:make --strict` or
" `:make --param boot_timeout=5m`.

if exists("b:did_ftplugin")
  finish
endif
let b:did_ftplugin = 1

let s:cpo_save = &cpo
set cpo&vim

setlocal comments=:#
setlocal commentstring=#\ %s
setlocal formatoptions-=t formatoptions+=croql

" chatc prints one line a diagnostic on stderr (:make captures it):
"   x.chat:15:38: error: takeover reachable without 'mark fenced active' first …
"   x.chat:7:7: warning: state 'c' is unreachable from the initial state
" Columns count bytes (a tab is one), as %c expects. A diagnostic with no
" position (a --param override, a file that cannot be read) has the file only:
"   <params>: error: no param 'nope' in the script (cannot set it to '1')
" Lines about <params> name no file, so they are kept as plain messages. %t
" takes the severity's first letter (e, w); spelling the rest out keeps lines
" such as "chatc: x.chat: No such file or directory" from becoming a bogus
" entry for a file called "chatc".
let s:chatc = get(g:, 'chat_chatc', 'chatc')
if s:chatc !~# '^[-A-Za-z0-9_./+]\+$'
  let s:chatc = shellescape(s:chatc, 1)
endif
let &l:makeprg = s:chatc . ' check --format=gcc %:S'
unlet s:chatc
setlocal errorformat=%f:%l:%c:\ %trror:\ %m,%f:%l:%c:\ %tarning:\ %m,%+G<params>:\ %m,%f:\ %trror:\ %m,%f:\ %tarning:\ %m

let b:undo_ftplugin = "setlocal comments< commentstring< formatoptions< makeprg< errorformat<"

let &cpo = s:cpo_save
unlet s:cpo_save
