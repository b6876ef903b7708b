from richcompose.warm.client import main

raise SystemExit(main())
