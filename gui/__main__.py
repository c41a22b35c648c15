import sys

from gui.app.cli import main

sys.exit(main())
