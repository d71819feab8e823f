"""The music catalogue (v2): songs, artists, albums."""
from flask.views import MethodView

from app.blueprints.base import Blueprint
from app.blueprints.conditional import catalogue_etag, kept_validator
from app.blueprints.security import auth_required
from app.schemas.catalogue import (
    AlbumDetailSchema,
    ArtistDetailSchema,
    ArtistFilterSchema,
    ArtistSchema,
    SongFilterSchema,
    SongSchema,
    dump_song_row,
)
from app.schemas.common import PageArgsSchema, page_of
from app.schemas.lean import page_response
from app.services import catalogue

blp = Blueprint("v2_catalogue", __name__, url_prefix="/api/v2", description="Browse songs, artists and albums.")


@blp.route("/songs")
class Songs(MethodView):
    @auth_required(blp)
    @blp.arguments(SongFilterSchema, location="query")
    @blp.arguments(PageArgsSchema(catalogue.SONG_KEYSET), location="query")
    @blp.response(200, page_of(SongSchema))
    @kept_validator(catalogue_etag)
    def get(self, filters, paging):
        """Songs, newest first (highest id first), each with its artist and album.

        `q` matches a case-insensitive substring of the title or of the artist's name; `artist_id` and
        `album_id` narrow the list.
        """
        return page_response(catalogue.list_songs(paging, **filters), dump_song_row)


@blp.route("/songs/<id:song_id>")
class SongDetail(MethodView):
    @auth_required(blp)
    @blp.response(200, SongSchema)
    @blp.alt_response(404, description="No such song.")
    @kept_validator(catalogue_etag)
    def get(self, song_id):
        """One song, with its artist and album."""
        return catalogue.get_song(song_id)


@blp.route("/artists")
class Artists(MethodView):
    @auth_required(blp)
    @blp.arguments(ArtistFilterSchema, location="query")
    @blp.arguments(PageArgsSchema(catalogue.ARTIST_KEYSET), location="query")
    @blp.response(200, page_of(ArtistSchema))
    @kept_validator(catalogue_etag)
    def get(self, filters, paging):
        """Artists, newest first (highest id first); `q` matches a case-insensitive substring of the name."""
        return catalogue.list_artists(paging, **filters)


@blp.route("/artists/<id:artist_id>")
class ArtistDetail(MethodView):
    @auth_required(blp)
    @blp.response(200, ArtistDetailSchema)
    @blp.alt_response(404, description="No such artist.")
    @kept_validator(catalogue_etag)
    def get(self, artist_id):
        """One artist with its albums."""
        return catalogue.get_artist(artist_id)


@blp.route("/albums/<id:album_id>")
class AlbumDetail(MethodView):
    @auth_required(blp)
    @blp.response(200, AlbumDetailSchema)
    @blp.alt_response(404, description="No such album.")
    @kept_validator(catalogue_etag)
    def get(self, album_id):
        """One album with its artist and its songs in track order (disk, then position)."""
        return catalogue.get_album(album_id)
