"""genvid.metrics"""
