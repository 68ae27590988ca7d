"""Notifications: owners told by email about their files, from the same events webhooks send.

- `collect.py`: events taken in once each (`Event.noticed_at`): a `request.received` joins
  its request's digest (files within CHUTE_DIGEST_WINDOW seconds of each other make one mail,
  sent that long after the last); a counted download of a link with "Tell me" on makes its
  first-download notification and, when its downloads are used up, its used-up one.
- `expiring.py`: what expires within 24 hours and was not announced (`expiry_announced_at`),
  one notification per owner per look.
- `outbox.py`: who may be mailed (a verified address, the account's switch), and one attempt
  at a notification: claim its row (a lease), build the mail (files/mail/notices.py), send,
  record.
- `tasks.py`: the tasks (take events in, send one notification, the sweep, the expiry look);
  taking events in runs in files/tasks/events.py's `take_in` when events are recorded.

State lives in the rows: a notification is claimed before its mail goes out and marked sent
after, so a retry or a second worker never sends it twice and a worker killed mid-send leaves
it claimed until its lease ends, when the sweep sends it. Task arguments are ids only.
"""
