"""What the broker gets: derived retained topics, Home Assistant discovery, the MQTT link."""
