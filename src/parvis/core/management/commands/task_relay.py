"""`parvis task_relay`: with `PARVIS_TASKS_BACKEND=rq`, hand the tasks written in the database over to Redis,
where `parvis rqworker` runs them (`core.relay`; ADR 0006). One is enough; several may run side by side."""

import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from parvis.core.relay import Relay


class Command(BaseCommand):
    help = "Hand the due background tasks over to Redis (RQ), and take back those of dead workers"

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=0.5, help="Seconds between looks when idle")
        parser.add_argument(
            "--ahead", type=int, default=200, help="Jobs waiting in Redis per queue at most (order is kept)"
        )

    def handle(self, *, interval, ahead, **options):
        if settings.PARVIS_TASKS_BACKEND != "rq":
            raise CommandError(
                "task_relay needs PARVIS_TASKS_BACKEND=rq (the database worker runs the tasks)"
            )
        relay = Relay(interval=interval, ahead=ahead)

        def stop(signum, frame):
            relay.running = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        relay.run()
