#!/usr/bin/env bash
# The Vim support in etc/vim: filetype detection, syntax groups at known
# places of the stock script and of a fixture, and the ftplugin's
# makeprg/errorformat turning `chatc check --format=gcc` into a quickfix list.
#
# usage: vim_syntax_test.sh SOURCE_DIR [BIN_DIR]
#   BIN_DIR holds chatc (default SOURCE_DIR/build/bin, else chatc on PATH).
# Needs a Vim with +syntax (Debian: vim or vim-nox; vim-tiny has no syntax).
set -euo pipefail

src=$(cd "${1:?usage: vim_syntax_test.sh SOURCE_DIR [BIN_DIR]}" && pwd)
bin=${2:-$src/build/bin}
if [[ -x $bin/chatc ]]; then
  chatc=$bin/chatc
elif chatc=$(command -v chatc); then
  :
else
  echo "vim_syntax_test: no chatc in $bin nor on PATH" >&2
  exit 2
fi
vim=${VIM_BINARY:-vim}
command -v "$vim" >/dev/null || { echo "vim_syntax_test: no $vim (apt-get install vim)" >&2; exit 2; }
[[ $("$vim" --version) == *+syntax* ]] || { echo "vim_syntax_test: $vim has no +syntax" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The fixture must stay a valid script: it shows what the language allows.
"$chatc" check --strict "$src/tests/operator/fixtures/syntax.chat" >/dev/null 2>"$tmp/fixture.err" || {
  echo "FAIL fixture: chatc check --strict rejects tests/operator/fixtures/syntax.chat"; cat "$tmp/fixture.err"; exit 1; }

# A broken script (a tab before the first error: columns count bytes) and one
# with a warning only.
printf 'initial state watch {\n\ton ping.dwn -> watch\n    after 20s -> wach\n}\n' > "$tmp/broken.chat"
printf 'initial state a {\n    on ping.down -> a\n}\nstate orphan {\n    after 1s -> a\n}\n' > "$tmp/warn.chat"

# Vim writes one line a check to $tmp/result ("ok …" or "FAIL …") and "done"
# last, so an error that stops the script half way cannot pass.
cat > "$tmp/checks.vim" <<'VIM'
let s:result = $TMPDIR_T . '/result'
function! s:Ok(what, cond, detail) abort
  call writefile([(a:cond ? 'ok   ' : 'FAIL ') . a:what . (a:cond ? '' : ': ' . a:detail)], s:result, 'a')
endfunction
function! s:Group(l, c) abort
  return synIDattr(synID(a:l, a:c, 1), 'name')
endfunction
" The group of the character OFFSET bytes into the first occurrence of NEEDLE
" (a literal) at or after line FROM.
function! s:Expect(needle, offset, group, ...) abort
  call cursor(a:0 ? a:1 : 1, 1)
  let [l, c] = searchpos('\V' . escape(a:needle, '\'), 'cW')
  if l == 0
    call s:Ok(a:needle . ' -> ' . a:group, 0, 'not found in ' . expand('%:t'))
    return
  endif
  let got = s:Group(l, c + a:offset)
  call s:Ok(expand('%:t') . ':' . l . ':' . (c + a:offset) . ' ' . a:needle . ' -> ' . a:group,
        \ got ==# a:group, 'got "' . got . '"')
endfunction

"  An error stops the checks and is reported, with where it happened.
try
" --- The stock script ---------------------------------------------------------
execute 'edit ' . fnameescape($SRC . '/scripts/sparc-obp.chat')
call s:Ok('filetype of sparc-obp.chat', trim(execute('set ft?')) ==# 'filetype=chat', trim(execute('set ft?')))
call s:Ok('syntax loaded', get(b:, 'current_syntax', '') ==# 'chat', get(b:, 'current_syntax', '(none)'))
call s:Ok('first line is a comment', s:Group(1, 1) ==# 'chatComment', s:Group(1, 1))
call s:Expect('param confirm_timeout = 20s    # ping', 31, 'chatComment')
call s:Expect('include "lib/patterns.chat"', 0, 'chatKeyword')
call s:Expect('include "lib/patterns.chat"', 8, 'chatString')
call s:Expect('param boot_device', 6, 'chatDeclName')
call s:Expect('confirm_timeout = 20s', 18, 'chatDuration')
call s:Expect('boot_timeout = 10m', 15, 'chatDuration')
call s:Expect('initial state watch', 0, 'chatKeyword')
call s:Expect('initial state watch', 8, 'chatKeyword')
call s:Expect('initial state watch', 14, 'chatStateName')
call s:Expect('state probe_standby extends watch', 20, 'chatKeyword')
call s:Expect('state probe_standby extends watch', 28, 'chatStateName')
call s:Expect('on ping.down {', 0, 'chatKeyword')
call s:Expect('on ping.down {', 3, 'chatEvent')
call s:Expect('on monitor.isolated', 3, 'chatEvent')
call s:Expect('on console.lost active', 3, 'chatEvent')
call s:Expect('on console.lost active', 16, 'chatChannel')
call s:Expect('on control.switchover', 3, 'chatEvent')
call s:Expect('on fence.refused', 3, 'chatEvent')
call s:Expect('on active solaris_panic', 3, 'chatPatternChannel')
call s:Expect('on active solaris_panic', 10, 'chatPatternRef')
call s:Expect('} -> confirm', 2, 'chatArrow')
call s:Expect('} -> confirm', 5, 'chatTarget')
call s:Expect('-> $on_network_loss_state', 3, 'chatTargetParam')
call s:Expect('after $probe_interval', 0, 'chatKeyword')
call s:Expect('after $probe_interval', 6, 'chatParamRef')
call s:Expect('send standby "\r"', 0, 'chatAction')
call s:Expect('send standby "\r"', 5, 'chatChannel')
call s:Expect('send standby "\r"', 13, 'chatString')
call s:Expect('send standby "\r"', 14, 'chatEscape')
call s:Expect('"panic on $active: $0"', 1, 'chatString')
call s:Expect('"panic on $active: $0"', 10, 'chatInterp')
call s:Expect('"panic on $active: $0"', 16, 'chatInterp')
call s:Expect('"panic on $active: $0"', 19, 'chatInterp')
call s:Expect('alarm critical "fencing', 0, 'chatAction')
call s:Expect('alarm critical "fencing', 6, 'chatSeverity')
call s:Expect('alarm warning "console', 6, 'chatSeverity')
call s:Expect('alarm notice "maintenance', 6, 'chatSeverity')
call s:Expect('boot standby "boot $boot_device', 0, 'chatAction')
call s:Expect('boot standby "boot $boot_device', 5, 'chatChannel')
call s:Expect('boot standby "boot $boot_device', 14, 'chatString')
call s:Expect('boot standby "boot $boot_device', 19, 'chatInterp')
call s:Expect('break active', 0, 'chatAction')
call s:Expect('mark fenced active presumed', 0, 'chatAction')
call s:Expect('mark fenced active presumed', 5, 'chatAction')
call s:Expect('mark fenced active presumed', 19, 'chatAction')
call s:Expect('{ takeover;', 2, 'chatAction')
call s:Expect('after 10m -> fence_failed', 6, 'chatDuration')

" --- The pattern catalogue -------------------------------------------------------
execute 'edit ' . fnameescape($SRC . '/scripts/lib/patterns.chat')
call s:Ok('filetype of patterns.chat', &filetype ==# 'chat', &filetype)
call s:Expect('pattern obp_prompt = /^(', 0, 'chatKeyword')
call s:Expect('pattern obp_prompt = /^(', 8, 'chatPatternName')
call s:Expect('pattern obp_prompt = /^(', 21, 'chatRegex')
call s:Expect('ok $/', 3, 'chatRegex')
" '#' inside a regex starts no comment; `|` and `unless` lead to more atoms.
call s:Expect('\[#\d+\]', 2, 'chatRegex')
call s:Expect('/ | /^Boot device', 2, 'chatOperator')
call s:Expect('unless /\b(grep', 0, 'chatKeyword')
call s:Expect('console_text = /\S.*/', 15, 'chatRegex')
call s:Expect('console_text = /\S.*/', 16, 'chatRegexEscape')
call s:Expect('console_text = /\S.*/', 18, 'chatRegex')
call s:Expect('unless /\b(grep', 7, 'chatRegex')

" --- The fixture: what the stock scripts do not use ---------------------------------
execute 'edit ' . fnameescape($SRC . '/tests/operator/fixtures/syntax.chat')
call s:Expect('param retries = -1', 16, 'chatNumber')
" A literal pattern is never interpolated: "$5" is a dollar and a 5.
call s:Expect('"costs $5"', 7, 'chatPatternString')
call s:Expect('"costs $5" | /\[#', 13, 'chatRegex')
call s:Expect('unless "echo"', 7, 'chatPatternString')
" Keywords are recognised by position: states called `log` and `break`.
call s:Expect('initial state log {', 14, 'chatStateName')
call s:Expect('initial state log {', 18, 'chatBrace')
call s:Expect('-> log', 3, 'chatTarget')
call s:Expect('-> break', 3, 'chatTarget')
call s:Expect('state break extends log', 6, 'chatStateName')
call s:Expect('state break extends log', 20, 'chatStateName')
call s:Expect('log "matched $0"', 0, 'chatAction')
call s:Expect('log "matched $0"', 13, 'chatInterp')
call s:Expect('send active secret', 12, 'chatAction')
call s:Expect('"a\$b', 2, 'chatEscape')
call s:Expect('"a\$b', 3, 'chatEscape')
call s:Expect('"a\$b', 4, 'chatString')
call s:Expect('${active}', 0, 'chatInterp')
call s:Expect('${active}', 8, 'chatInterp')
call s:Expect(' $1 ', 1, 'chatInterp')
call s:Expect('\x1b', 3, 'chatEscape')
call s:Expect('exec "/usr/bin/logger"', 0, 'chatAction')
call s:Expect('power active cycle', 0, 'chatAction')
call s:Expect('power active cycle', 6, 'chatPowerChannel')
call s:Expect('power active cycle', 13, 'chatPowerOp')
call s:Expect('on sh.exit 3', 3, 'chatEvent')
call s:Expect('on sh.exit 3', 11, 'chatNumber')
call s:Expect('after 1h30m', 6, 'chatDuration')
call s:Expect('after 1h30m', 10, 'chatDuration')
call s:Expect('after 250ms', 6, 'chatDuration')
call s:Expect('after 250ms', 10, 'chatDuration')

" --- Every keyword, channel, event and severity, each on a line of its own -----
enew
setfiletype chat
let s:words = {
      \ 'chatKeyword': split('include param var pattern initial state extends on after unless'),
      \ 'chatAction': split('send boot break alarm exec log set mark fenced presumed takeover power'),
      \ 'chatChannel': split('active standby sh'),
      \ 'chatEvent': split('ping.down ping.up monitor.isolated monitor.ok console.lost console.up'
      \                    . ' sh.exit control.switchover control.maintenance fence.refused'),
      \ 'chatSeverity': split('notice warning critical'),
      \ }
for s:group in sort(keys(s:words))
  for s:word in s:words[s:group]
    call setline(1, s:word)
    let s:g = s:Group(1, 1)
    let s:end = s:Group(1, len(s:word))
    call s:Ok(s:word . ' -> ' . s:group, s:g ==# s:group && s:end ==# s:group,
          \ 'got "' . s:g . '" .. "' . s:end . '"')
  endfor
endfor
" Not highlighted as what they resemble.
call setline(1, ['ping.dwn', 'ontology', '# on "x" 20s', 'log "bad \q escape"', 'log "a $ b ${x"', 'on active "a $ b"'])
call s:Ok('unknown event ping.dwn', s:Group(1, 1) ==# '', s:Group(1, 1))
call s:Ok('keyword inside a name', s:Group(2, 1) ==# '', s:Group(2, 1))
call s:Ok('comment swallows tokens', s:Group(3, 6) ==# 'chatComment' && s:Group(3, 11) ==# 'chatComment', s:Group(3, 6))
call s:Ok('bad escape', s:Group(4, 10) ==# 'chatEscapeError', s:Group(4, 10))
call s:Ok('bare $ in action text', s:Group(5, 8) ==# 'chatInterpError', s:Group(5, 8))
call s:Ok('unclosed ${', s:Group(5, 12) ==# 'chatInterpError', s:Group(5, 12))
call s:Ok('bare $ in a pattern is a dollar', s:Group(6, 14) ==# 'chatPatternString', s:Group(6, 14))
bwipeout!

" --- Quickfix: :make and :cgetexpr with the ftplugin's errorformat --------------
function! s:Qf(label, file) abort
  let qf = getqflist()
  let want = [[a:file, 2, 5, 'e', "unknown event 'ping.dwn'"], [a:file, 3, 18, 'e', "unknown state 'wach'"]]
  call s:Ok(a:label . ': 2 entries', len(filter(copy(qf), 'v:val.valid')) == 2, string(qf))
  let i = 0
  for e in filter(copy(qf), 'v:val.valid')
    if i >= len(want) | break | endif
    let [f, l, c, t, m] = want[i]
    let got = [fnamemodify(bufname(e.bufnr), ':p'), e.lnum, e.col, e.type, e.text]
    call s:Ok(a:label . ' entry ' . (i + 1), got[0] ==# f && got[1] == l && got[2] == c && got[3] ==# t
          \ && stridx(got[4], m) == 0, string(got) . ' wanted ' . string(want[i]))
    let i += 1
  endfor
endfunction

execute 'edit ' . fnameescape($TMPDIR_T . '/broken.chat')
call s:Ok('ftplugin commentstring', &l:commentstring ==# '# %s', &l:commentstring)
call s:Ok('ftplugin makeprg', &l:makeprg =~# 'check --format=gcc', &l:makeprg)
let s:broken = fnamemodify($TMPDIR_T . '/broken.chat', ':p')
" :make uses the buffer's 'errorformat'; :cgetexpr only the global value, so
" hand it the ftplugin's one.
function! s:CGetExpr(cmd) abort
  let save = &g:errorformat
  let &g:errorformat = &l:errorformat
  try
    cgetexpr system(a:cmd)
  finally
    let &g:errorformat = save
  endtry
endfunction
call s:CGetExpr(shellescape($CHATC) . ' check --format=gcc ' . shellescape(s:broken) . ' 2>&1')
call s:Qf('cgetexpr', s:broken)
try
  silent make
  call s:Qf(':make', s:broken)
  " :cfirst lands on the token (the tab before it counts as one column).
  silent cfirst
  call s:Ok(':cfirst lands on the token', strpart(getline('.'), col('.') - 1) =~# '^ping\.dwn',
        \ line('.') . ':' . col('.') . ' ' . getline('.'))
catch
  call s:Ok(':make and :cfirst', 0, v:exception)
endtry

" A warning is type w; a message with no file position stays a plain message.
execute 'edit ' . fnameescape($TMPDIR_T . '/warn.chat')
call s:CGetExpr(shellescape($CHATC) . ' check --format=gcc ' . shellescape(expand('%:p')) . ' 2>&1')
let s:qf = getqflist()
let s:valid = filter(copy(s:qf), 'v:val.valid')
call s:Ok('warning entries', len(s:valid) >= 1 && s:valid[0].type ==# 'w' && s:valid[0].lnum == 4
      \ && s:valid[0].col == 7 && fnamemodify(bufname(s:valid[0].bufnr), ':t') ==# 'warn.chat', string(s:qf))
call s:CGetExpr(shellescape($CHATC) . ' check --format=gcc --param nope=1 ' . shellescape(expand('%:p')) . ' 2>&1')
let s:qf = getqflist()
call s:Ok('<params> is a message', len(filter(copy(s:qf), 'v:val.bufnr == 0 && v:val.text =~# "^<params>: error: no param"')) == 1, string(s:qf))
call s:Ok('no entry for a file called <params>', bufnr('<params>') == -1, 'buffer <params> exists')
" A diagnostic with no position names its file only; chatc's own complaints
" ("chatc: FILE: …") name no file called "chatc".
let &g:errorformat = &l:errorformat
cgetexpr [$TMPDIR_T . '/warn.chat: error: Permission denied', 'chatc: nope.chat: No such file or directory']
set errorformat&
let s:qf = getqflist()
call s:Ok('file-only diagnostic', len(s:qf) == 2 && s:qf[0].valid && s:qf[0].type ==# 'e' && s:qf[0].lnum == 0
      \ && fnamemodify(bufname(s:qf[0].bufnr), ':t') ==# 'warn.chat' && s:qf[0].text ==# 'Permission denied', string(s:qf))
call s:Ok('no entry for a file called chatc', len(s:qf) == 2 && s:qf[1].bufnr == 0 && bufnr('chatc') == -1, string(s:qf))

catch
  call s:Ok('vim error', 0, v:exception . ' at ' . v:throwpoint)
endtry
call writefile(['done'], s:result, 'a')
qa!
VIM

export SRC=$src TMPDIR_T=$tmp CHATC=$chatc
# -Es: silent Ex mode; -u NONE: no vimrc; -i NONE: no viminfo. The runtime
# path is etc/vim and Vim's own files only: nothing from ~/.vim. The $NAMEs
# below are Vim's reading of the environment.
# shellcheck disable=SC2016  # $SRC, $CHATC, $TMPDIR_T: Vim's expressions
"$vim" -Es -N -u NONE -i NONE \
  --cmd 'let &runtimepath = escape($SRC . "/etc/vim", ",\\") . "," . $VIMRUNTIME' \
  --cmd 'let g:chat_chatc = $CHATC' \
  -c 'filetype plugin on' -c 'syntax on' \
  -c 'execute "source" fnameescape($TMPDIR_T . "/checks.vim")' </dev/null >"$tmp/vim.out" 2>&1 || true

if [[ ! -s $tmp/result ]] || [[ $(tail -n 1 "$tmp/result") != "done" ]]; then
  echo "FAIL vim did not finish the checks:"; sed 's/^/  | /' "$tmp/vim.out"
  [[ -f $tmp/result ]] && grep -av '^ok' "$tmp/result"
  exit 1
fi
grep -a '^FAIL' "$tmp/result" || true
passes=$(grep -ac '^ok' "$tmp/result" || true)
fails=$(grep -ac '^FAIL' "$tmp/result" || true)
echo "vim_syntax_test: $passes passed, $fails failed"
[[ $fails -eq 0 ]]
