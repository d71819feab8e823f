"""Refresh-token rotation (v2)."""
from app.blueprints.base import Blueprint, no_store
from app.schemas.auth import RefreshSchema, TokenPairSchema
from app.services import tokens

blp = Blueprint("v2_refresh_tokens", __name__, url_prefix="/api/v2", description="Refresh-token rotation.")
blp.after_request(no_store)  # its answers carry tokens


@blp.route("/refresh_tokens", methods=["POST"])
@blp.arguments(RefreshSchema)
@blp.response(200, TokenPairSchema)
@blp.alt_response(401, description="Unknown, expired or revoked refresh token; reuse revokes the whole session.")
def refresh(body):
    """Trade a refresh token for a new pair. The used token is revoked; presenting it again revokes the session."""
    return tokens.rotate_refresh_token(body["refresh_token"])
