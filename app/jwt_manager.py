"""flask-jwt-extended's JWTManager, remembering the access tokens each process has already verified.

Decoding a token parses it three times (unverified claims, unverified header, then verified) and PyJWT checks
every character of every segment in Python: about 0.1 ms per request, 7 % of GET /api/v1/users/{id}
(docs/performance.md). A client sends the same access token for its whole lifetime, so a process keeps the
claims of the last `size` tokens whose signature it verified, keyed by the exact token string; a repeat only
re-checks the times (exp, nbf, with JWT_DECODE_LEEWAY). Any other string, a single changed byte included, is
verified in full. Revocation is not cached: the denylist and the user's token version are read on every request
(app.services.tokens.load_user_for_token).
"""
import time

from flask_jwt_extended import JWTManager as _JWTManager
from flask_jwt_extended.config import config


class JWTManager(_JWTManager):
    def __init__(self, app=None, add_context_processor=False, size: int = 2048):
        self._verified: dict[str, dict] = {}
        self._size = size
        super().__init__(app, add_context_processor)

    def _decode_jwt_from_config(self, encoded_token: str, csrf_value=None, allow_expired: bool = False) -> dict:
        cacheable = csrf_value is None and not allow_expired
        if cacheable:
            claims = self._verified.get(encoded_token)
            if claims is not None and _within_times(claims, config.leeway):
                return dict(claims)
        claims = super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
        if cacheable:
            if len(self._verified) >= self._size:
                self._verified.clear()  # simpler than LRU bookkeeping, and as good for tokens reused in bursts
            self._verified[encoded_token] = dict(claims)
        return claims


def _within_times(claims: dict, leeway) -> bool:
    """PyJWT's exp and nbf checks, for claims it already verified once."""
    leeway = leeway.total_seconds() if hasattr(leeway, "total_seconds") else leeway
    now = time.time()
    expires, not_before = claims.get("exp"), claims.get("nbf")
    return (expires is None or expires > now - leeway) and (not_before is None or not_before <= now + leeway)
