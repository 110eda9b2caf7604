"""Event logs: the KMS events of kms-facts §2.5, kept per machine.

Client: 12288 (request sent, with the host:port used) and 12289 (response: activation flag and the
host's count), Application log. Host: 12290 (a client contacted the host) in the "Key Management
Service" log; 12293 (SRV publishing failed) and 12294 (SRV published), Application log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

APPLICATION = "Application"
KMS_LOG = "Key Management Service"
SOURCE = "Microsoft-Windows-Security-SPP"

KMS_REQUEST_SENT = 12288
KMS_RESPONSE_RECEIVED = 12289
KMS_CLIENT_REQUEST = 12290
SRV_PUBLISH_FAILED = 12293
SRV_PUBLISHED = 12294

_LOGS = {
    KMS_REQUEST_SENT: APPLICATION,
    KMS_RESPONSE_RECEIVED: APPLICATION,
    KMS_CLIENT_REQUEST: KMS_LOG,
    SRV_PUBLISH_FAILED: APPLICATION,
    SRV_PUBLISHED: APPLICATION,
}


@dataclass(frozen=True)
class Event:
    record_id: int
    event_id: int
    log: str
    level: str  # lab choice: "Error" for a failed publish, "Information" otherwise
    time: datetime
    data: tuple[tuple[str, str], ...]

    def get(self, name: str) -> str | None:
        return dict(self.data).get(name)


class EventLog:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def write(self, event_id: int, time: datetime, **data: object) -> Event:
        level = "Error" if event_id == SRV_PUBLISH_FAILED else "Information"
        event = Event(
            len(self.events) + 1,
            event_id,
            _LOGS[event_id],
            level,
            time,
            tuple((name, str(value)) for name, value in data.items()),
        )
        self.events.append(event)
        return event

    def find(self, event_id: int | None = None, log: str | None = None) -> list[Event]:
        return [
            event
            for event in self.events
            if (event_id is None or event.event_id == event_id)
            and (log is None or event.log == log)
        ]


# What Win32_NTLogEvent.Message shows. Lab-made English text, not Microsoft's: on Windows the
# message is localized, so it is there for people to read and for clients never to parse.
_MESSAGES = {
    KMS_REQUEST_SENT: "[lab] The KMS client sent an activation request.",
    KMS_RESPONSE_RECEIVED: "[lab] The KMS client received an activation response.",
    KMS_CLIENT_REQUEST: "[lab] The KMS host answered an activation request.",
    SRV_PUBLISH_FAILED: "[lab] The KMS host could not publish its SRV record in {Domain}.",
    SRV_PUBLISHED: "[lab] The KMS host published its SRV record in {Domain}.",
}


def event_message(event: Event) -> str:
    values = dict(event.data)
    text = _MESSAGES[event.event_id].format_map({"Domain": values.get("Domain", "?")})
    details = ", ".join(value for _name, value in event.data)
    return f"{text} Info: {details}" if details else text
