"""Every message that may leave the device (the topic table) and the durable queue to the broker."""
