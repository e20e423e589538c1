"""Speed measurements of aws-login-tray's hot paths (run with ``python -m benchmarks``)."""
