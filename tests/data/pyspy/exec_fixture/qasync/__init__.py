"""Stand-in for qasync's run_forever, whose line 6 waits in Qt's exec() (test_attribution)."""


class _QEventLoop:
    def run_forever(self):
        return self.__app.exec()
