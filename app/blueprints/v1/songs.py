"""The song catalogue (v1)."""
from flask.views import MethodView

from app.blueprints.base import Blueprint
from app.blueprints.conditional import catalogue_etag, kept_validator
from app.blueprints.security import auth_required
from app.schemas.catalogue import SongFilterSchema, SongSchema, dump_song_row
from app.schemas.common import LegacyPageArgsSchema, page_of
from app.schemas.lean import page_response
from app.services import catalogue

blp = Blueprint("v1_songs", __name__, url_prefix="/api/v1/songs", description="Browse and search songs.")


@blp.route("")
class Songs(MethodView):
    @auth_required(blp)
    @blp.arguments(SongFilterSchema, location="query")
    @blp.arguments(LegacyPageArgsSchema(catalogue.SONG_KEYSET), location="query")
    @blp.response(200, page_of(SongSchema))
    @kept_validator(catalogue_etag)
    def get(self, filters, paging):
        """Songs, newest first (highest id first), each with its artist and album.

        `q` matches a case-insensitive substring of the title or of the artist's name; `artist_id` and
        `album_id` narrow the list. Pages with `limit`/`cursor`, or the legacy `page`/`per`.
        """
        return page_response(catalogue.list_songs(paging, **filters), dump_song_row)


@blp.route("/<id:song_id>")
class SongDetail(MethodView):
    @auth_required(blp)
    @blp.response(200, SongSchema)
    @blp.alt_response(404, description="No such song.")
    @kept_validator(catalogue_etag)
    def get(self, song_id):
        """One song, with its artist and album."""
        return catalogue.get_song(song_id)
