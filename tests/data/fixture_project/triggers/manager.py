"""Trigger manager and a mailbox trigger (fixture): recall-rule defects."""

import shutil


class TriggerManager:
    def __init__(self):
        self._triggers = {}

    async def start_all(self):
        for trigger in self._triggers.values():
            await trigger.start()

    def register(self, trigger):
        self._triggers[trigger.id] = trigger


class MailboxTrigger:
    def __init__(self):
        self._seen_ids = set()

    async def _check_mailbox(self, uids):
        for uid in uids:
            if uid not in self._seen_ids:
                self._seen_ids.add(uid)

    async def archive(self, src, dst):
        shutil.copytree(src, dst)
