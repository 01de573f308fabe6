"""Calendar months, the one home: statements, month closes and reports all count months
as ``[first day, first day of the next month)``."""

import datetime as dt


def month_start(day: dt.date) -> dt.date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    """The first day of the month after ``day``'s."""
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def previous_month(day: dt.date) -> dt.date:
    """The first day of the month before ``day``'s."""
    return (month_start(day) - dt.timedelta(days=1)).replace(day=1)


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    """``[start, end)`` of ``month``'s month: its first day and the next month's."""
    return month_start(month), next_month(month)
