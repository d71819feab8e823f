"""Collections: ordered, public or private lists of songs (v1)."""
from flask.views import MethodView

from app.blueprints.base import Blueprint
from app.blueprints.conditional import collection_etag, if_match, kept_validator
from app.blueprints.idempotency import IN_FLIGHT, idempotent
from app.blueprints.security import auth_required, current_user
from app.schemas.collections import (
    CollectionCreateSchema,
    CollectionDetailSchema,
    CollectionListArgsSchema,
    CollectionSchema,
    CollectionUpdateSchema,
    ItemCreateSchema,
    ItemMoveSchema,
    ItemSchema,
)
from app.schemas.common import LegacyPageArgsSchema, page_of
from app.services import collections

blp = Blueprint(
    "v1_collections", __name__, url_prefix="/api/v1/collections", description="Ordered lists of songs.",
)

NOT_VISIBLE = "No such collection (someone else's private collection is not found either)."


@blp.route("")
class Collections(MethodView):
    @auth_required(blp)
    @blp.arguments(CollectionListArgsSchema, location="query")
    @blp.arguments(LegacyPageArgsSchema(collections.COLLECTIONS_KEYSET), location="query")
    @blp.response(200, page_of(CollectionSchema))
    @blp.alt_response(404, description="No such user (`user_id`).")
    def get(self, args, paging):
        """Your collections, private ones included, newest first; with `user_id`, that user's public ones."""
        return collections.list_collections(current_user.id, paging, args.get("user_id"))

    @auth_required(blp)
    @idempotent(blp, 201)
    @blp.arguments(CollectionCreateSchema)
    @blp.response(201, CollectionDetailSchema)
    def post(self, body):
        """Create a collection (public unless `public` is false)."""
        return collections.create_collection(current_user, **body)


@blp.route("/<id:collection_id>")
class CollectionDetail(MethodView):
    @auth_required(blp)
    @blp.response(200, CollectionDetailSchema)
    @blp.alt_response(404, description=NOT_VISIBLE)
    @kept_validator(collection_etag)
    def get(self, collection_id):
        """A collection with its songs in position order; its ETag is what If-Match takes on its changes."""
        return collections.get_collection(collection_id, current_user.id)

    @auth_required(blp)
    @if_match(blp)
    @blp.arguments(CollectionUpdateSchema)
    @blp.response(200, CollectionDetailSchema)
    @blp.alt_response(403, description="Someone else's public collection.")
    @blp.alt_response(404, description=NOT_VISIBLE)
    def patch(self, changes, collection_id, expected_versions):
        """Change the title, description or visibility of your collection.

        Making it private hides it, and its creation, from everyone else (feeds included).
        """
        return collections.update_collection(current_user, collection_id, changes, expected_versions)

    @auth_required(blp)
    @if_match(blp)
    @blp.response(204)
    @blp.alt_response(403, description="Someone else's public collection.")
    @blp.alt_response(404, description=NOT_VISIBLE)
    def delete(self, collection_id, expected_versions):
        """Delete your collection."""
        collections.delete_collection(current_user, collection_id, expected_versions)


@blp.route("/<id:collection_id>/items")
class Items(MethodView):
    @auth_required(blp)
    @idempotent(blp, 201, document_conflict=False)
    @if_match(blp)
    @blp.arguments(ItemCreateSchema)
    @blp.response(201, ItemSchema)
    @blp.alt_response(403, description="Someone else's public collection.")
    @blp.alt_response(404, description=NOT_VISIBLE + " Or no such song (field `song_id`).")
    @blp.alt_response(409, description="The song is already in the collection. Or: " + IN_FLIGHT)
    def post(self, body, collection_id, expected_versions):
        """Add a song at `position` (1-based). Without `position`, or with one beyond the end, the song
        goes last; songs at and after `position` move down by one."""
        return collections.add_item(current_user, collection_id, body["song_id"], body.get("position"),
                                    expected_versions)


@blp.route("/<id:collection_id>/items/<id:song_id>")
class Item(MethodView):
    @auth_required(blp)
    @if_match(blp)
    @blp.arguments(ItemMoveSchema)
    @blp.response(200, ItemSchema)
    @blp.alt_response(403, description="Someone else's public collection.")
    @blp.alt_response(404, description=NOT_VISIBLE + " Or the song is not in it.")
    def patch(self, body, collection_id, song_id, expected_versions):
        """Move a song to `position` (beyond the end: last); the songs in between shift, positions stay 1..n."""
        return collections.move_item(current_user, collection_id, song_id, body["position"], expected_versions)

    @auth_required(blp)
    @if_match(blp)
    @blp.response(204)
    @blp.alt_response(403, description="Someone else's public collection.")
    @blp.alt_response(404, description=NOT_VISIBLE + " Or the song is not in it.")
    def delete(self, collection_id, song_id, expected_versions):
        """Take a song out of your collection; the songs after it move up."""
        collections.remove_item(current_user, collection_id, song_id, expected_versions)
