"""genvid.cli"""
