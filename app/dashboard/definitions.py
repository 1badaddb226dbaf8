"""The dashboard's figures, grouped as shown, each with the definition one tap away."""

from __future__ import annotations

from dataclasses import dataclass

from app.i18n import N_


@dataclass(frozen=True)
class Kpi:
    key: str  # a Figures attribute
    label: str  # msgid
    unit: str  # share, count, duration
    definition: str  # msgid
    detail: tuple[str, str] | None = None  # ("part", "whole") Figures attributes shown as "12 / 40"


GROUPS: tuple[tuple[str, tuple[Kpi, ...]], ...] = (
    (
        N_("Adoption"),
        (
            Kpi(
                "workers",
                N_("Registered active workers"),
                "count",
                N_(
                    "Workers of the site's crews registered on or before the period's last day and not "
                    "left before its first, and anyone who checked in here in the period (visitors count "
                    "where they checked in)."
                ),
            ),
            Kpi(
                "adoption",
                N_("Adoption"),
                "share",
                N_("The share of those workers who checked in at least once in the period."),
                ("adopters", "workers"),
            ),
            Kpi(
                "activity",
                N_("Daily activity"),
                "share",
                N_(
                    "On an average working day (a day with at least one check-in at the site), the share "
                    "of the workers who checked in."
                ),
            ),
        ),
    ),
    (
        N_("Data quality"),
        (
            Kpi(
                "attendance_quality",
                N_("Attendance days without problems"),
                "share",
                N_("The share of attendance days with no anomaly flagged and no correction."),
                ("clean_days", "attendance_days"),
            ),
            Kpi(
                "photo_location",
                N_("Photos with a location"),
                "share",
                N_("The share of photos taken in the period that carry a location."),
                ("located_photos", "photos"),
            ),
        ),
    ),
    (
        N_("Responsiveness"),
        (
            Kpi(
                "received",
                N_("Reports received"),
                "count",
                N_("Reports and inspection findings raised in the period (system suggestions not included)."),
            ),
            Kpi(
                "median_response_s",
                N_("Median first response"),
                "duration",
                N_(
                    "Half of the reports answered got their first answer (a status change or a comment by "
                    "staff) within this time."
                ),
            ),
            Kpi(
                "within_sla",
                N_("Answered within SLA"),
                "share",
                N_(
                    "Of the period's reports that were answered or are past their response deadline, the "
                    "share answered by the deadline."
                ),
                ("answered_in_time", "due"),
            ),
            Kpi(
                "overdue",
                N_("Overdue now"),
                "count",
                N_("Open reports and fixes past their deadline right now, whatever the period."),
            ),
            Kpi(
                "resolution",
                N_("Resolved"),
                "share",
                N_(
                    "Of the period's reports not rejected or merged as duplicates, the share closed after "
                    "re-inspection or through a delivered improvement."
                ),
                ("resolved", "counted"),
            ),
        ),
    ),
    (
        N_("Improvements"),
        (
            Kpi(
                "delivered",
                N_("Improvements delivered"),
                "count",
                N_("Improvements marked done with evidence in the period."),
            ),
            Kpi(
                "confirmed",
                N_("Confirmed by reporters"),
                "count",
                N_("Of those, the improvements a reporter confirmed as fixed."),
            ),
        ),
    ),
)
