import sys

from pylic.cli import main

sys.exit(main())
