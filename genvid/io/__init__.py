"""genvid.io"""
