"""Generic inbound webhook: any tool that can POST signed JSON feeds a channel (see client.py)."""
