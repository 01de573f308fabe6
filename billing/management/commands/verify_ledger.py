"""Recompute every balance and statement total from the legs; exit 1 on any mismatch."""

import sys

from django.core.management.base import BaseCommand

from billing.verification import ledger_verify


class Command(BaseCommand):
    help = "Check ledger balances, transactions and statements against their entries."

    def handle(self, *args, **options) -> None:
        problems = ledger_verify()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            self.stderr.write(self.style.ERROR(f"{len(problems)} mismatches."))
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS("Ledger and statements agree with their entries."))
