"""`python -m invoice_sync`: the `invoice-sync` command."""

import sys

from invoice_sync.cli import main

sys.exit(main())
