import sys

from till.cli.main import main

sys.exit(main())
