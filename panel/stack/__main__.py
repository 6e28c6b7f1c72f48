from panel.stack.cli import main

raise SystemExit(main())
