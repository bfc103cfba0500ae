"""Messages to customers: e-mail (SMTP) and SMS (an HTTP gateway), sent from the outbox.

- ``email``: the MIME message (text, HTML, the code as an inline QR image) and the SMTP send;
- ``sms``: the gateway request, from a URL template and a token;
- ``consent``: who may receive what;
- ``jobs``: queueing (in the transaction that causes a message) and the outbox handlers.

A message never blocks the till: it is a job row written with the ticket, sent later, retried
with backoff, and shown to a manager when it is given up.
"""
