"""Webhooks: an owner's events, signed per Standard Webhooks and POSTed to a program's URL.

- `registration.py`: the rules for a webhook (an https URL, known event types, at most
  MAX_WEBHOOKS per owner), making, listing and deleting them.
- `targets.py`: the SSRF guard. A URL's name is resolved and every address must be public
  (not loopback, private, link-local, multicast, reserved, unspecified or IPv4-mapped), at
  registration and again at each delivery; the delivery connects to the address it checked,
  so a name cannot re-resolve in between. CHUTE_WEBHOOK_ALLOW_PRIVATE=1 lifts this.
- `signing.py`: the signing secret, derived from the webhook's id under SECRET_KEY (never
  stored, shown once), and the `webhook-id`/`webhook-timestamp`/`webhook-signature` headers
  from the `standardwebhooks` package.
- `dispatch.py`: an event owed to webhooks becomes one `Delivery` row per subscribed webhook.
- `delivery.py`: one attempt at a delivery: claim its row (a lease), POST with a short
  timeout and no redirects, then record the answer and when to try again.
- `tasks.py`: the tasks (dispatch, deliver, the periodic sweep); the dispatch runs in
  files/tasks/events.py's `take_in` when events are recorded.

State lives in the rows: a worker killed mid-delivery leaves the row claimed until its lease
ends, and the sweep sends it again with the same `webhook-id` (the receiver's idempotency key).
"""
