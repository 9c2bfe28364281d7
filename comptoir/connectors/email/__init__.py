"""E-mail connector: IMAP inbox and SMTP sending."""
