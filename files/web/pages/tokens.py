"""The API tokens page: make a token (shown once), see when each was last used, revoke."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.views.decorators.http import require_http_methods

from files.accounts import tokens
from files.errors import InvalidToken, TokenNotFound
from files.web.http import AuthenticatedRequest
from files.web.pages.forms import TOKEN_LIFETIMES, TokenForm, parse
from files.web.pages.owner import Context, create_or_revoke, owner_page


@require_http_methods(["GET", "POST"])
@login_required
def api_tokens(request: AuthenticatedRequest) -> HttpResponse:
    def revoke(token_id: str) -> Context:
        tokens.revoke(tokens.get_owned(request.user, token_id))
        return {"notice": "The token was revoked; calls carrying it now answer 401."}

    def create(data: QueryDict) -> Context:
        values = parse(TokenForm(data), InvalidToken)
        new = tokens.create(request.user, name=values["name"], expires_in=values["expires_in"])
        return {"created": new}

    def already_sent(made: Context) -> str:
        return (
            f"This form was already sent: the token “{made['created'].row.name}” was made "
            "then, and its secret was shown once. Make a new one if you lost it."
        )

    context, status = create_or_revoke(
        request,
        action="revoke",
        revoke=revoke,
        create=create,
        errors=(InvalidToken, TokenNotFound),
        already_sent=already_sent,
    )
    context |= {"choices": TOKEN_LIFETIMES, "tokens": tokens.tokens_of(request.user)}
    return owner_page(request, "files/tokens.html", context, status)
