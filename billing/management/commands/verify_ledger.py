"""Recompute every balance and statement total from the legs; exit 1 on any mismatch.

The result is recorded (finance's dashboard shows the last one)."""

import sys

from django.core.management.base import BaseCommand

from billing.models import LedgerCheck
from billing.services.checks import ledger_check_run


class Command(BaseCommand):
    help = "Check ledger balances, transactions and statements against their entries."

    def handle(self, *args, **options) -> None:
        check = ledger_check_run(source=LedgerCheck.Source.COMMAND)
        problems = check.mismatches
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            self.stderr.write(self.style.ERROR(f"{check.mismatch_count} mismatches."))
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS("Ledger and statements agree with their entries."))
