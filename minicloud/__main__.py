"""`python -m minicloud` is the `minicloud` command."""

from minicloud.cli import main

raise SystemExit(main())
