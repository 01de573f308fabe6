"""Drop the single-column foreign-key indexes that a unique constraint or an index starting
with the same column already serves: one index less to write for every recalculated row and
every daily video row, and the daily video rows of a video are then read through the
(video, date) index, already in date order.

Only the indexes change: the foreign-key constraints stay as they are (Django's AlterField
would drop and re-add them, validating every row again).
"""

import django.db.models.deletion
from django.db import migrations, models

# (index, table, column)
INDEXES = [
    (
        "creators_accountperformance_account_id_41f59e61",
        "creators_accountperformance",
        "account_id",
    ),
    (
        "creators_creatorperformance_creator_id_087c453a",
        "creators_creatorperformance",
        "creator_id",
    ),
    (
        "creators_creatorwavesummary_creator_id_c8b79ce0",
        "creators_creatorwavesummary",
        "creator_id",
    ),
    ("creators_eligibilityresult_creator_id_be1b7853", "creators_eligibilityresult", "creator_id"),
    ("creators_eligibilityresult_program_id_17909b9d", "creators_eligibilityresult", "program_id"),
    ("creators_videodailymetric_video_id_74c43a77", "creators_videodailymetric", "video_id"),
    ("creators_videowave_creator_id_315bbe80", "creators_videowave", "creator_id"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("creators", "0012_live_gifts_countries"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql=f"DROP INDEX IF EXISTS {name}",
                    reverse_sql=f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column})",
                )
                for name, table, column in INDEXES
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="accountperformance",
                    name="account",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="performance",
                        to="creators.platformaccount",
                    ),
                ),
                migrations.AlterField(
                    model_name="creatorperformance",
                    name="creator",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="performance",
                        to="creators.creator",
                    ),
                ),
                migrations.AlterField(
                    model_name="creatorwavesummary",
                    name="creator",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="wave_summaries",
                        to="creators.creator",
                    ),
                ),
                migrations.AlterField(
                    model_name="eligibilityresult",
                    name="creator",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="eligibility",
                        to="creators.creator",
                    ),
                ),
                migrations.AlterField(
                    model_name="eligibilityresult",
                    name="program",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="creators.eligibilityprogram",
                    ),
                ),
                migrations.AlterField(
                    model_name="videodailymetric",
                    name="video",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="daily_metrics",
                        to="creators.video",
                    ),
                ),
                migrations.AlterField(
                    model_name="videowave",
                    name="creator",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="video_waves",
                        to="creators.creator",
                    ),
                ),
            ],
        ),
    ]
