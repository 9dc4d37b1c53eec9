" .job files of asyncjob for C
autocmd BufRead,BufNewFile *.job setfiletype asyncjob
