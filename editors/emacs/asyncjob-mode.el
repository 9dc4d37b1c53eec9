;;; asyncjob-mode.el --- major mode for .job files of asyncjob for C -*- lexical-binding: t -*-

;; Copyright (c) 2026 the asyncjob for C authors
;; SPDX-License-Identifier: MIT
;; Keywords: languages
;; Package-Requires: ((emacs "24.3"))

;;; Commentary:

;; Syntax colouring and indentation for the .job language of asyncjob for
;; C (see asyncjob(7)): jobs as graphs of typed steps, compiled to C by
;; ajc.  Put this file on `load-path' and add
;;
;;   (require 'asyncjob-mode)
;;
;; to your init file; .job files then open in `asyncjob-mode'.
;;
;; `asyncjob-keywords' is checked against grammar/lexer.l and
;; editors/reserved-keywords by scripts/check-editor-keywords: keep one
;; string per keyword in it, and no other string.

;;; Code:

(defgroup asyncjob nil
  "Editing .job files of asyncjob for C."
  :group 'languages)

(defcustom asyncjob-indent-offset 4
  "Indentation of a step inside a job's braces."
  :type 'integer
  :group 'asyncjob)

(defconst asyncjob-keywords
  '("include" "type" "retry" "job" "step" "result" "limit"
    "after" "timeout" "impl" "free" "uses" "blocking" "async" "nonfatal"
    "when" "unless" "on" "success" "done" "failure" "optional"
    "max" "fixed" "linear" "exponential" "factor" "cap" "jitter" "custom")
  "Keywords of the .job language, the second edition's included.")

(defconst asyncjob-c-types
  '("const" "struct" "union" "enum" "unsigned" "signed" "void" "char"
    "int" "long" "short" "float" "double" "bool")
  "C words that appear in the types of a .job file.")

(defconst asyncjob-font-lock-keywords
  `((,(regexp-opt asyncjob-keywords 'symbols) . font-lock-keyword-face)
    (,(regexp-opt asyncjob-c-types 'symbols) . font-lock-type-face)
    (,(regexp-opt '("true" "false" "NULL") 'symbols) . font-lock-constant-face)
    ("\\_<\\(?:job\\|step\\|type\\|retry\\|limit\\)\\_>[ \t]+\\([A-Za-z_][A-Za-z0-9_]*\\)"
     1 font-lock-function-name-face)
    ("\\_<[0-9]+\\(?:ns\\|us\\|ms\\|s\\|m\\)\\_>" . font-lock-constant-face)
    ("<[^>\n]*>" . font-lock-string-face))
  "Highlighting for `asyncjob-mode'.")

(defvar asyncjob-mode-syntax-table
  (let ((table (make-syntax-table)))
    (modify-syntax-entry ?_ "_" table)
    (modify-syntax-entry ?/ ". 124b" table)
    (modify-syntax-entry ?* ". 23" table)
    (modify-syntax-entry ?\n "> b" table)
    (modify-syntax-entry ?\" "\"" table)
    table)
  "Syntax table for `asyncjob-mode': C comments and strings.")

(defun asyncjob-indent-line ()
  "Indent the current line by the depth of the braces and parentheses."
  (interactive)
  (let ((depth (save-excursion
                 (beginning-of-line)
                 (car (syntax-ppss))))
        (closing (save-excursion
                   (back-to-indentation)
                   (looking-at-p "[)}]"))))
    (indent-line-to (* asyncjob-indent-offset
                       (max 0 (if closing (1- depth) depth))))))

;;;###autoload
(define-derived-mode asyncjob-mode prog-mode "asyncjob"
  "Major mode for .job files of asyncjob for C."
  :syntax-table asyncjob-mode-syntax-table
  (setq-local comment-start "// ")
  (setq-local comment-end "")
  (setq-local font-lock-defaults '(asyncjob-font-lock-keywords))
  (setq-local indent-line-function #'asyncjob-indent-line))

;;;###autoload
(add-to-list 'auto-mode-alist '("\\.job\\'" . asyncjob-mode))

(provide 'asyncjob-mode)

;;; asyncjob-mode.el ends here
