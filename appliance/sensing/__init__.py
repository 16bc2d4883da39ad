"""The agent's single writer, the sensor rules (doors, occupancy) and housekeeping."""
