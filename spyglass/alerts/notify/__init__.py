"""alerts/notify"""
