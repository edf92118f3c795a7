"""genvid.data"""
