"""Sessions over time: the refresh engine, the manager that signs in and out, the service front ends use."""
