"""Dialogs of the report lifecycle: sign out, amend, addendum, withdraw, cancel, versions.

Each dialog is a thin shell around one `CaseService` call: it shows the person what they
are about to sign and why it matters, asks for the password again (21 CFR 11.200), and
puts any refusal into words inside the dialog so nothing is lost by a pop-up closing.
"""
