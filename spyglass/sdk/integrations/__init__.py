"""sdk/integrations"""
