"""`python -m ops.dataplane`: the agent in the foreground (control.start_background runs it)."""

from ops.dataplane.agent import main

main()
