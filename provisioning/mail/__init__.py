"""Mail hosting: domains, mailboxes, aliases on Postfix + Dovecot + rspamd. See docs/mail.md."""
