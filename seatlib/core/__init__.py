"""Core: the rules every other package shares, with no system behind them.

What it holds: the exceptions seatlib raises (:mod:`.errors`), small value rules
(:mod:`.values`), logging with secrets redacted (:mod:`.log`), e-mail masking (:mod:`.privacy`),
the contract of every data set (:mod:`.contracts`) and the configuration: the settings
(:mod:`.settings`), the file's schema (:mod:`.settings_file`) and the loading of both
(:mod:`.config`). What it may import: the standard library and third-party packages, never
another package of seatlib. It is the bottom floor: every other package may import it.
"""
