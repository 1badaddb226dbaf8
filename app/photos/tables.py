"""Photos: evidence from the site, stored once per content and attached to records."""

from piccolo.columns import Boolean, Date, DoublePrecision, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.accounts.tables import User
from app.sites.tables import Area, Site


class Photo(Table):
    site = ForeignKey(Site, on_delete=OnDelete.restrict)
    area = ForeignKey(Area, null=True, on_delete=OnDelete.set_null)
    caption = Varchar(length=500, default="")
    # Kept here as typed, for showing; PhotoTag holds them for filtering.
    tags = Varchar(length=200, default="")
    # Empty on anonymous reports.
    uploaded_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    uploaded_at = Timestamptz(default=TimestamptzNow())
    taken_at = Timestamptz()
    # The site's local date of taken_at (SQLite has no named time zones): the timeline's day.
    taken_date = Date()
    # exif (the file's own time), phone (its clock at upload) or server.
    taken_source = Varchar(length=8, default="server")
    latitude = DoublePrecision(null=True, default=None)
    longitude = DoublePrecision(null=True, default=None)
    accuracy_m = DoublePrecision(null=True, default=None)
    # sha256 of the uploaded bytes: the storage key of its display and thumbnail files.
    content_hash = Varchar(length=64, index=True)
    width = Integer()
    height = Integer()
    display_bytes = Integer()
    deleted_at = Timestamptz(null=True, default=None)
    deleted_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)


class PhotoTag(Table):
    """One row per tag of a live photo, with the photo's site and time for the timeline index."""

    photo = ForeignKey(Photo, on_delete=OnDelete.cascade)
    site = ForeignKey(Site, on_delete=OnDelete.cascade)
    tag = Varchar(length=20)
    taken_at = Timestamptz()


class PhotoLink(Table):
    """A photo attached to a record of another feature (a report, a fix, a labour sheet)."""

    photo = ForeignKey(Photo, on_delete=OnDelete.cascade, index=True)
    record_type = Varchar(length=40)
    record_id = Integer()
    # On a public page ("you said, we did"): visible to everyone.
    public = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
