" Vim syntax file
" Language: asyncjob for C, .job files (see asyncjob(7))
" The keyword lines below are checked against grammar/lexer.l and
" editors/reserved-keywords by scripts/check-editor-keywords: keep every
" keyword on a "syn keyword asyncjobKw..." line and nothing else there.

if exists('b:current_syntax')
  finish
endif

syn keyword asyncjobKwDeclaration include type retry job step result limit
syn keyword asyncjobKwAttribute after timeout impl free uses blocking async nonfatal
syn keyword asyncjobKwConditional when unless on success done failure optional
syn keyword asyncjobKwPolicy max fixed linear exponential factor cap jitter custom

syn match asyncjobArrow '->'
syn match asyncjobDuration '\<\d\+\%(ns\|us\|ms\|s\|m\)\>'
syn match asyncjobNumber '\<\d\+\%(\.\d\+\)\=\>'
syn match asyncjobPercent '\<\d\+%'
syn region asyncjobString start=+"+ end=+"+ oneline
syn match asyncjobHeader '<[^>]*>'
syn match asyncjobCType '\<\%(const\|struct\|union\|enum\|unsigned\|signed\|void\|char\|int\|long\|short\|float\|double\|bool\)\>'
syn keyword asyncjobConstant true false NULL
syn keyword asyncjobTodo TODO FIXME XXX contained
syn region asyncjobComment start='//' end='$' contains=asyncjobTodo
syn region asyncjobComment start='/\*' end='\*/' contains=asyncjobTodo

hi def link asyncjobKwDeclaration Statement
hi def link asyncjobKwAttribute Keyword
hi def link asyncjobKwConditional Conditional
hi def link asyncjobKwPolicy Keyword
hi def link asyncjobArrow Operator
hi def link asyncjobDuration Number
hi def link asyncjobNumber Number
hi def link asyncjobPercent Number
hi def link asyncjobString String
hi def link asyncjobHeader String
hi def link asyncjobCType Type
hi def link asyncjobConstant Constant
hi def link asyncjobTodo Todo
hi def link asyncjobComment Comment

let b:current_syntax = 'asyncjob'
