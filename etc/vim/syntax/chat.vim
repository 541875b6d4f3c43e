" Vim syntax file
" Language:    clusterd chat scripts (*.chat)
" Reference:   docs/chat-language.md; the definitive grammar is chat/parser.cc
" Install:     share/vim/vimfiles/syntax/chat.vim (with ftdetect/chat.vim)
"
" Keywords are recognised by position in the language (a state may be called
" `fence` or `log`), so the names after `state`, `extends` and `->` are matched
" with nextgroup and win over the keyword groups there.

if exists("b:current_syntax")
  finish
endif

let s:cpo_save = &cpo
set cpo&vim

syn case match
syn sync fromstart

" --- Comments ----------------------------------------------------------------
syn keyword chatTodo      contained TODO FIXME XXX NOTE
syn match   chatComment   "#.*$" contains=chatTodo,@Spell

" --- Keywords ----------------------------------------------------------------
" Declarations and handlers.
syn keyword chatKeyword   include initial after
syn keyword chatKeyword   param var nextgroup=chatDeclName skipwhite skipnl
" (state, extends, on, unless, pattern: below, each with what may follow it)
syn keyword chatKeyword   state nextgroup=chatStateName skipwhite skipnl
syn keyword chatKeyword   extends nextgroup=chatStateName skipwhite skipnl
" Actions.
syn keyword chatAction    send boot break alarm exec log set mark fenced presumed takeover secret
syn keyword chatAction    power nextgroup=chatPowerChannel skipwhite
" Alarm severities.
syn keyword chatSeverity  notice warning critical

" --- Names -------------------------------------------------------------------
" The state a `state` or `extends` names.
syn match   chatStateName    contained "\h\w*"
" `-> target`: a state, or `$param` naming one.
syn match   chatArrow        "->" nextgroup=chatTarget,chatTargetParam skipwhite skipnl
syn match   chatTarget       contained "\h\w*"
syn match   chatTargetParam  contained "\$\h\w*"
" The name a `param` or `var` declares.
syn match   chatDeclName     contained "\h\w*"
" `after $param`, and any other $param outside a string.
syn match   chatParamRef     "\$\h\w*"
" `power CH off|on|cycle`.
syn match   chatPowerChannel contained "\<\%(active\|standby\)\>" nextgroup=chatPowerOp skipwhite
syn match   chatPowerOp      contained "\<\%(off\|on\|cycle\)\>"

" --- Channels and events -------------------------------------------------------
" Channels: the consoles by role, and the output of `exec`.
syn match   chatChannel   "\<\%(active\|standby\|sh\)\>\.\@!"
" Events (defined after the channels so `sh.exit` is one event).
syn match   chatEvent     "\<\%(ping\.\%(down\|up\)\|monitor\.\%(isolated\|ok\)\|console\.\%(lost\|up\)\|sh\.exit\|control\.\%(switchover\|maintenance\)\|fence\.refused\)\>"

" --- Literals ----------------------------------------------------------------
syn match   chatNumber    "-\=\<\d\+\>"
" Durations: a number and a unit, repeatable (250ms 20s 10m 1h30m).
syn match   chatDuration  "\<\%(\d\+\%(ms\|s\|m\|h\)\)\+\>"

" Strings: one line. Escapes \r \n \t \e \0 \\ \" \$ \xHH; anything else after
" a backslash is an error. $name, ${name} and $0..$9 are replaced in action text.
syn match   chatEscapeError contained "\\."
syn match   chatEscapeError contained "\\x\x\=\X\@="
syn match   chatEscape      contained "\\[rnte0\\\"$]"
syn match   chatEscape      contained "\\x\x\x"
" A '$' not followed by a name, a digit or {name} is an error (write \$).
syn match   chatInterpError contained "\$\%(\h\|\d\|{\%(\h\w*\|\d\)}\)\@!"
syn match   chatInterp      contained "\$\%(\h\w*\|{\%(\h\w*\|\d\)}\|\d\)"
syn region  chatString  oneline start=+"+ skip=+\\\\\|\\"+ end=+"+ contains=chatEscape,chatEscapeError,chatInterp,chatInterpError

" Literal patterns are never interpolated: "$5" matches a dollar and a 5. A
" string is one after `on CHANNEL`, `unless`, `|` or `pattern NAME =`.
syn region  chatPatternString contained oneline start=+"+ skip=+\\\\\|\\"+ end=+"+ contains=chatEscape,chatEscapeError
syn match   chatPatternChannel contained "\<\%(active\|standby\|sh\)\>\.\@!" nextgroup=chatPatternString,chatRegex,chatPatternRef skipwhite skipnl
syn match   chatPatternRef contained "\h\w*"
syn keyword chatKeyword   on nextgroup=chatPatternChannel skipwhite skipnl
syn keyword chatKeyword   unless nextgroup=chatPatternString,chatRegex skipwhite skipnl
syn match   chatOperator  "|" nextgroup=chatPatternString,chatRegex skipwhite skipnl
syn keyword chatKeyword   pattern nextgroup=chatPatternName skipwhite skipnl
syn match   chatPatternName contained "\h\w*" nextgroup=chatPatternEquals skipwhite skipnl
syn match   chatPatternEquals contained "=" nextgroup=chatPatternString,chatRegex skipwhite skipnl

" Regexes: /…/ on one line, RE2; \/ stands for a slash. Never interpolated.
syn match   chatRegexEscape contained "\\."
syn region  chatRegex   oneline start=+/+ skip=+\\\\\|\\/+ end=+/+ contains=chatRegexEscape

" Other punctuation.
syn match   chatOperator  "[=;]"

" Braces: state bodies and handler blocks (foldable).
syn region  chatBlock     matchgroup=chatBrace start="{" end="}" transparent fold

" --- Links -------------------------------------------------------------------
hi def link chatComment       Comment
hi def link chatTodo          Todo
hi def link chatKeyword       Keyword
hi def link chatAction        Statement
hi def link chatSeverity      Constant
hi def link chatStateName     Function
hi def link chatTarget        Function
hi def link chatTargetParam   Identifier
hi def link chatParamRef      Identifier
hi def link chatPatternName   Identifier
hi def link chatDeclName      Identifier
hi def link chatPatternRef    Identifier
hi def link chatPowerChannel  chatChannel
hi def link chatPowerOp       Constant
hi def link chatChannel       Type
hi def link chatPatternChannel chatChannel
hi def link chatEvent         PreProc
hi def link chatNumber        Number
hi def link chatDuration      Number
hi def link chatString        String
hi def link chatPatternString String
hi def link chatEscape        SpecialChar
hi def link chatEscapeError   Error
hi def link chatInterp        Identifier
hi def link chatInterpError   Error
hi def link chatRegex         String
hi def link chatRegexEscape   SpecialChar
hi def link chatArrow         Operator
hi def link chatOperator      Operator
hi def link chatPatternEquals chatOperator
hi def link chatBrace         Delimiter

let b:current_syntax = "chat"

let &cpo = s:cpo_save
unlet s:cpo_save
