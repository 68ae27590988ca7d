"""Mail: accounts' addresses and their verification, and links sent by email.

- `addresses.py`: set or change an account's address, its verification token (a Django
  PasswordResetTokenGenerator whose hash covers the address) and what opening the link does.
- `links.py`: "Send a link by email": the recipients checked, the link's state, the hourly limit,
  and the `LinkMail` row that holds the addresses until the mail is out.
- `messages.py`: each mail as plain text with an HTML alternative, from templates/mail/.
- `errors.py`: the refusals of this package, in files/errors.py's shape.

Mail goes out only from tasks (files/tasks/mail.py), whose arguments are ids and an origin,
never addresses, tokens or links. Nothing but its verification mail goes to an address its
owner has not verified.
"""
