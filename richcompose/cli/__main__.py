from richcompose.cli import main

raise SystemExit(main())
