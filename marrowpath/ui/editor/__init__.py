"""The case editor: one case in a tab (see `case_editor.CaseEditor`)."""
