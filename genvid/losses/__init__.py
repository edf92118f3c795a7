"""genvid.losses"""
