"""`flask --app wsgi sync ...`: a Deezer ingestion in the foreground, with a progress bar."""
import sys

import click
from tqdm import tqdm

from app.models import MAX_ID


@click.command("sync")
@click.option("--query", help="A Deezer search.")
@click.option("--artist-id", type=click.IntRange(1, MAX_ID), help="A Deezer artist: top tracks, then its albums.")
@click.option("--album-id", type=click.IntRange(1, MAX_ID), help="A Deezer album.")
@click.option("--playlist-id", type=click.IntRange(1, MAX_ID), help="A Deezer playlist.")
@click.option("--chart", is_flag=True, help="Deezer's chart.")
@click.option("--limit", type=click.IntRange(1, 10000), default=100, show_default=True,
              help="The most tracks to ingest.")
def sync(query, artist_id, album_id, playlist_id, chart, limit):
    """Ingest one Deezer source now (exactly one of --query, --artist-id, --album-id, --playlist-id, --chart)."""
    from app.services.deezer import DeezerError
    from app.services.ingestion import deezer_client
    from app.services.sync_jobs import create_sync_job, run_sync_job, source_from

    sources = {"query": query, "artist_id": artist_id, "album_id": album_id, "playlist_id": playlist_id,
               "chart": chart or None}
    given = {name: value for name, value in sources.items() if value is not None}
    if len(given) != 1:
        raise click.UsageError("Give exactly one of --query, --artist-id, --album-id, --playlist-id, --chart.")
    if query is not None and not query.strip():
        raise click.UsageError("--query must not be blank.")
    source = source_from(**given)
    job = create_sync_job(source, limit, requested_by_id=None)
    click.echo(f"Sync job {job.id}: {source.describe()}, up to {limit} tracks.")
    with tqdm(total=limit, unit="track", desc="Deezer", file=sys.stderr) as bar:
        def on_page(job, page):
            bar.update(len(page.tracks))
            bar.set_postfix(pages=job.pages, created=job.created, updated=job.updated)

        try:
            with deezer_client() as client:
                job = run_sync_job(job.id, client, on_page=on_page)
        except DeezerError as exc:
            raise click.ClickException(str(exc)) from None
        except Exception as exc:
            from app.services.sync_jobs import failure_message

            raise click.ClickException(failure_message(source, exc)) from None
        bar.total = bar.n  # the source had fewer tracks than the limit: the bar still ends full
        bar.refresh()
    click.echo(f"Finished: {job.pages} pages, {job.tracks_seen} tracks seen, "
               f"{job.created} songs created, {job.updated} updated.")
